"""Keep-place callbacks (issue 13): requests, placeholders in the queue, dialling the citizen."""
