"""The meeting pages (side panel, stage, meeting tabs): sign-in first; the pages come next."""
