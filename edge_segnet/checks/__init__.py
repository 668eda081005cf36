"""Checks that run models: verify, the FP16 check, selftest and doctor."""
