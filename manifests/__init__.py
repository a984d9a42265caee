"""The Teams app manifest template and icons."""
