"""Messages: the inbound AS2 endpoint, outbound sending, the TrackLog and Send File pages."""
