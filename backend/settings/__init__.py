"""Settings package: `local` for development, `test` for the suite, `production` for deploys."""
