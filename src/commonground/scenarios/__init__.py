"""Built-in scenarios, generated (not downloaded): ``sg-bto`` (the default) and ``uk-town``."""

from __future__ import annotations

from collections.abc import Callable

from commonground.errors import InputError
from commonground.scenarios.base import Scenario, preferences_frame
from commonground.scenarios.england import english_town_scenario
from commonground.scenarios.singapore import default_scenario

SCENARIOS: dict[str, Callable[..., Scenario]] = {"sg-bto": default_scenario, "uk-town": english_town_scenario}


def get_scenario(name: str = "sg-bto", **kwargs) -> Scenario:
    """A built-in scenario, generated (not downloaded).

    Parameters
    ----------
    name
        ``sg-bto`` (a Singapore BTO launch under the EIP) or ``uk-town`` (an English town, choice-based lettings).
    **kwargs
        Passed to the scenario's builder (e.g. sizes, seed).

    Returns
    -------
    Scenario
        The problem (flats, households, utilities), its policy and its mechanism.

    Examples
    --------
    >>> sc = get_scenario("sg-bto")
    >>> sc.mechanism, sc.problem.n_households
    ('ballot', 3200)
    """
    try:
        return SCENARIOS[name](**kwargs)
    except KeyError:
        raise InputError(f"unknown scenario '{name}' (choose from: {', '.join(SCENARIOS)})") from None


__all__ = ["SCENARIOS", "Scenario", "default_scenario", "english_town_scenario", "get_scenario", "preferences_frame"]
