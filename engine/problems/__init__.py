"""Problem definitions, one module per part of the course; each module registers its problems."""
