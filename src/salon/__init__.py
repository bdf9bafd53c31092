"""salon: private AI conversations that become social content."""

__version__ = "0.1.0"
