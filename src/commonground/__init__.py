"""commonground: allocate homes under integration caps; measure and simulate integration."""

__version__ = "0.1.0"
