"""Renderers: a document in, text out. One module per output family."""
