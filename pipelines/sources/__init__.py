"""Reading raw source files into tables, with errors that name file, row and column."""
