print("kvctl: not yet implemented")
