"""Microsoft Teams: the botbuilder boundary, Bot Connector reads, roles, roster, app package."""
