"""Proof that the contract suite has teeth: it is run against deliberately broken mocks."""
