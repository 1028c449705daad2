"""The CI gate: ``focus-contract``'s exit codes and reports, the spec lint, and the CI examples."""
