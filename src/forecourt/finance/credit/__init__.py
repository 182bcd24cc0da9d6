"""Credit: pre-qualification and applications, the bureau, underwriting, staff review and key rotation."""
