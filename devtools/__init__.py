"""Tools for developers, not part of the product: the demo, the Playground launcher, the local
Bot Connector and the simulation of Teams activities."""
