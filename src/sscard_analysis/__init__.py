"""sscard_analysis."""
