print("kvbench: not yet implemented")
