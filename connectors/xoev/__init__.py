"""XÖV connectors (German public-administration XML standards)."""
