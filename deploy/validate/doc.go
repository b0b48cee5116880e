// Package validate holds the offline checks of Switchyard's deployment artefacts: the Dockerfile,
// docker-compose.yml, the Helm chart under charts/switchyard and the kustomize tree under k8s/.
//
// It is a separate Go module so that the Kubernetes, Compose and BuildKit libraries it needs stay out
// of the gateway's own module. Run it with `cd deploy/validate && go test ./...` after
// scripts/deploy-tools.sh has put helm and kustomize into <repo>/bin.
package validate
