"""Goal attainment: progress status per indicator, geography and target group, and roll-ups."""
