"""Live apply: planning against the running kernel, netlink execution, verify, rollback."""
