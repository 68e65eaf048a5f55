"""What is stored and the facts read from it: tables, migrations, repositories, importers, status, calendar."""
