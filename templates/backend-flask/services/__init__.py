"""What the API answers: mock data until Cruddur has a database."""
