"""The PyTorch parity suite: programs recorded under real PyTorch, replayed
against autorust in CI (see README, "Parity with PyTorch")."""
