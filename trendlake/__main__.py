from trendlake.cli import main

main()
