"""Municipal and county geography: reference lists per vintage and the levels analysts compare."""
