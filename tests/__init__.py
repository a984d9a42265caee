"""Test suite for Resonanz."""
