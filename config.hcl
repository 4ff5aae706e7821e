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
  # Abuse limits (docs/reliability.md). Requests beyond a client's share
  # (by remote IP) get 429, beyond the node's 503 after a 2 s wait;
  # node-to-node calls and sys/health are never limited.
  # max_concurrent_requests        = 2048
  # client_max_concurrent_requests = 256
  # client_requests_per_second     = 0     # 0: no rate limit
  # client_burst                   = 0     # default: twice the rate
  # Timeouts against slow clients (Vault's defaults; "0" for none).
  # http_read_header_timeout = "10s"
  # http_read_timeout        = "30s"
  # http_write_timeout       = "0"
  # http_idle_timeout        = "5m"
}

# Clustering: see docs/cluster.md. Other nodes join with
#   iamd operator raft join -address=http://THIS_NODE:8200 http://LEADER:8200
# (token with the root policy in IAMD_TOKEN), or by themselves through
# retry_join + gossip_key.
cluster {
  raft_address   = "127.0.0.1:8201"   # raft RPCs between nodes
  gossip_address = "127.0.0.1:8301"   # memberlist, TCP and UDP
  retry_join     = []          # gossip addresses of other nodes (own address is skipped)
  # gossip_key   = "..."       # base64 of 16/24/32 random bytes (openssl rand -base64 32),
  #                            # the same on every node: encrypts gossip and authorises
  #                            # retry_join's automatic join. Keep it secret.
  # apply_timeout = "10s"
  # Raft timings (docs/cluster.md): a dead leader is replaced after about
  # twice heartbeat_timeout; raise it on an overloaded machine whose leader
  # steps down under load. election_timeout >= heartbeat_timeout >= leader_lease_timeout.
  # heartbeat_timeout    = "500ms"
  # election_timeout     = "500ms"   # default: heartbeat_timeout
  # leader_lease_timeout = "500ms"   # default: heartbeat_timeout
  # commit_timeout       = "5ms"     # idle leader tells followers the commit index after this;
  #                                  # a follower answers a forwarded write once it applied it
  # Mutual TLS for the raft transport and node-to-node calls; all three or none.
  # The node-to-node calls use the API listener: they run over mutual TLS only
  # when that listener has TLS too (docs/cluster.md, "TLS between nodes").
  # tls_cert_file = "/etc/iamd/tls/cluster.pem"      # this node's certificate
  # tls_key_file  = "/etc/iamd/tls/cluster-key.pem"
  # tls_ca_file   = "/etc/iamd/tls/cluster-ca.pem"   # every peer's certificate chains to it
}
