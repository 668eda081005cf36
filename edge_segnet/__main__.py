from edge_segnet.cli import main

main()
