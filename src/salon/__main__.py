from salon.cli import main

main()
