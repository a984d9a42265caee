"""Adaptive Cards, built by pure functions from small view objects."""
