"""The portal's pure parts: the throttle, the dates, the pages."""
