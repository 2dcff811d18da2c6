"""Channel adapters: each reads one channel's format into intake's `InboundPayload`."""
