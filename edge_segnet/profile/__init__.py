"""Latency figures to trust: statistics, conditions, board power, reports."""
