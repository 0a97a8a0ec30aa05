"""The data model: developments, households, preferences, and the Problem every mechanism takes."""

from commonground.model.development import Development
from commonground.model.households import Households
from commonground.model.preferences import BlockUtilities, FlatUtilities, Utilities
from commonground.model.problem import Problem

__all__ = ["BlockUtilities", "Development", "FlatUtilities", "Households", "Problem", "Utilities"]
