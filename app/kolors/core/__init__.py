"""Colour maths on torch tensors. Imports nothing else of the package and never Qt."""
