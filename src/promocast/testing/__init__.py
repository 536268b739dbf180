"""Testing aids shipped with the package: the synthetic demo shop and conformance checks."""
