"""Marketing: campaigns, leads and attribution of conversions to channels and campaigns."""
