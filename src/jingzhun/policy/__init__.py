"""Policy parameters as data: poverty lines, monitoring ranges, notice days and thresholds by region and year."""
