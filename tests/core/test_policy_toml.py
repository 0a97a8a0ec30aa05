"""Policy TOML files: Pydantic checks the shape, with today's one-line "file [[caps]] #i: problem" messages;
tomli-w writes them back so that any name round-trips (a name with a newline used to produce a file that could
not be read back, so a service run failed after the policy had been accepted)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commonground.errors import PolicyError
from commonground.policy import policy_from_toml, policy_to_toml
from commonground.policy.caps import Cap, CapLimit, Policy

CAP = '[[caps]]\nattribute = "e"\nlevel = "block"\n'

# The first six messages are what the hand-written validator said before the change (recorded from main);
# the others were tracebacks (float("x"), 3.items()), or silent (priority_order = "FT" became ("F", "T"),
# unknown keys in a cap or a limit were ignored).
BAD = [
    ('name = "x"\ncolour = "red"\n', "p.toml: unknown key 'colour' (expected: caps, groups, name, priority_order, "
                                     "priority_shares, rule, source, unknown)"),
    ("caps = [1]\n", "p.toml [[caps]] #1: each [[caps]] entry must be a table"),
    ('[[caps]]\nlevel = "block"\nlimits = {A = 0.1}\n', "p.toml [[caps]] #1: missing 'attribute'"),
    (CAP + "limits = {}\n", "p.toml [[caps]] #1: 'limits' must be a non-empty table of group = share"),
    (CAP + 'limits = {A = "x"}\n', "p.toml [[caps]] #1: limit 'A': share must be a number, got 'x'"),
    (CAP + "limits = {A = true}\n", "p.toml [[caps]] #1: limit 'A': share must be a number, got True"),
    (CAP + "limits = {A = 1.5}\n", "p.toml [[caps]] #1: limit 'A': share 1.5 is outside [0, 1]"),
    ('priority_shares = {FT = "x"}\n', "p.toml: 'priority_shares' must be a table of group = share"),
    ("priority_shares = 3\n", "p.toml: 'priority_shares' must be a table of group = share"),
    ('priority_order = "FT"\n', "p.toml: 'priority_order' must be an array of groups"),
    ("caps = 3\n", "p.toml: 'caps' must be an array of tables ([[caps]])"),
    (CAP + "limits = {A = 0.2}\ncolour = 1\n", "p.toml [[caps]] #1: unknown key 'colour' (expected: attribute, "
                                               "level, limits)"),
    (CAP + 'limits = {A = {share = 0.2, colour = "r"}}\n', "p.toml [[caps]] #1: limit 'A': unknown key 'colour' "
                                                           "(expected: share, groups)"),
    ('groups = {e = "A"}\n', "p.toml: 'groups' must be a table of attribute = [group, ...]"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_policy_file_is_one_line(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as e:
        policy_from_toml(text, source="p.toml")
    assert str(e.value) == message and "\n" not in str(e.value)


awkward = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12) | \
    st.sampled_from(['a\nb', 'say "hi"', "back\\slash", "tab\there", "Ünïcødé 民族", "'single'", "x = 1", "[caps]"])


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    labels = draw(st.lists(awkward, min_size=1, max_size=3, unique=True))
    limits = tuple(CapLimit(lab, frozenset([lab]), draw(st.floats(0, 1))) for lab in labels)
    caps = (Cap(draw(awkward), draw(st.sampled_from(["block", "neighbourhood"])), limits),)
    return Policy(name=draw(awkward), caps=caps, rule=draw(st.sampled_from(["strict", "literal"])),
                  source=draw(awkward), priority_shares={draw(awkward): draw(st.floats(0, 1))},
                  priority_order=tuple(draw(st.lists(awkward, max_size=2, unique=True))),
                  groups={caps[0].attribute: tuple(labels)})


@given(policies())
def test_any_policy_round_trips(pol: Policy) -> None:
    again = policy_from_toml(policy_to_toml(pol), source="again.toml")
    assert again.name == pol.name and again.source == pol.source and again.rule == pol.rule
    assert again.caps == pol.caps and again.groups == pol.groups
    assert again.priority_order == pol.priority_order and dict(again.priority_shares) == dict(pol.priority_shares)


def test_newline_in_name_round_trips() -> None:
    """The reported bug: the hand-written writer put the newline into a basic string (invalid TOML)."""
    pol = Policy(name="first line\nsecond line", caps=(Cap.of("ethnicity", "block", {"Malay": 0.25}),))
    assert policy_from_toml(policy_to_toml(pol)).name == "first line\nsecond line"
