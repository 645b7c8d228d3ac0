"""Reviews: periodic summaries of the relationship, their recommendations, and the SERs\x27 sign-off."""
