"""Statistical disclosure control (prikking) for the public tier, and the attack that tests it."""
