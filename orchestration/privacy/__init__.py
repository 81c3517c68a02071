"""Personal data: finding everything held on a person, for the rights of access and erasure."""
