"""Tests for the outbound delivery component (bot.delivery)."""
