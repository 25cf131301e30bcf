"""Board login and API access: passwords here in `passwords`, bearer tokens in `tokens`."""
