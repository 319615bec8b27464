// CoreDNS for npm run cluster (scripts/cluster.sh builds it): the release pinned here, its plugins chosen
// in main.go.
module trading-backend/coredns

go 1.26.0

require github.com/coredns/coredns v1.14.7
