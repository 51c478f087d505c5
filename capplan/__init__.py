"""capplan: how many nodes each tier needs to carry peak load when nodes fail."""

__version__ = "0.1.0"
