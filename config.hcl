# An example iamd node. Start it with:  iamd server -config=config.hcl
# then, once, on the first node:          iamd operator init

node_id  = "node1"            # unique in the cluster: letters, digits, _ . -
data_dir = "./data/node1"     # raft log (bolt), snapshots and the keyring
api_addr = "http://127.0.0.1:8200"   # advertised to clients and peers

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
  # tls_cert_file      = "/etc/iamd/tls/node.pem"
  # tls_key_file       = "/etc/iamd/tls/node-key.pem"
  # max_request_size   = 33554432     # bytes; 32 MiB by default
}

cluster {
  raft_address   = "127.0.0.1:8201"
  gossip_address = "127.0.0.1:8301"
  retry_join     = []          # gossip addresses of other nodes
  # apply_timeout = "10s"
}
