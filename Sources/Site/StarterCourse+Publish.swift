/// The GitHub Actions workflow `hypercourse init` writes: on every push to main it builds the
/// course, reruns every exercise against its record and publishes `public/` on GitHub Pages.
extension StarterCourse {
    static let workflowPath = ".github/workflows/publish.yml"

    /// In a Swift 6.2 container on Debian 12, the system the tool is made for. GitHub's Linux
    /// runners have KVM; `--device` passes it into the container, where the job runs as root.
    /// Hypercourse is built from the Git address in the repository variable
    /// HYPERCOURSE_REPOSITORY (a tag, branch or commit in HYPERCOURSE_REF), and the build is
    /// cached by its commit, so only the first run pays for it.
    static let publishWorkflow = #"""
        # Builds the course on every push to main (or by hand: Actions → Publish → Run workflow),
        # reruns every exercise against its verified record, and publishes public/ on GitHub Pages.
        #
        # Once, in the repository's settings on GitHub:
        #   Pages → Build and deployment → Source: GitHub Actions.
        #   Secrets and variables → Actions → Variables: HYPERCOURSE_REPOSITORY, the Git address
        #   Hypercourse is built from, and optionally HYPERCOURSE_REF, a tag, branch or commit of it
        #   (default: main).
        # Set base-url in content/course.yml to the address GitHub shows on the Pages settings page
        # (https://USER.github.io/REPOSITORY/) for the sitemap, canonical links and link previews.
        name: Publish

        on:
          push:
            branches: [main]
          workflow_dispatch:

        permissions:
          contents: read
          pages: write
          id-token: write

        # One deployment at a time; a newer push waits instead of cancelling one under way.
        concurrency:
          group: pages
          cancel-in-progress: false

        jobs:
          build:
            runs-on: ubuntu-latest
            container:
              image: swift:6.2-bookworm
              # The exercises run on KVM: the runner's /dev/kvm, passed into the container.
              options: --device /dev/kvm
            env:
              HYPERCOURSE_REPOSITORY: ${{ vars.HYPERCOURSE_REPOSITORY }}
              HYPERCOURSE_REF: ${{ vars.HYPERCOURSE_REF || 'main' }}
            steps:
              - name: Install what the build needs
                run: |
                  apt-get update -qq
                  apt-get install -y -qq --no-install-recommends git ca-certificates nasm \
                    libcmark-gfm-dev libcmark-gfm-extensions-dev libc6-dev linux-libc-dev zlib1g-dev
              - uses: actions/checkout@v4
              - name: Fetch Hypercourse
                id: hypercourse
                run: |
                  if [ -z "$HYPERCOURSE_REPOSITORY" ]; then
                    echo "::error::Set the repository variable HYPERCOURSE_REPOSITORY (Settings → Secrets and variables → Actions → Variables) to the Git address of Hypercourse."
                    exit 1
                  fi
                  git clone --quiet "$HYPERCOURSE_REPOSITORY" /opt/hypercourse
                  git -C /opt/hypercourse checkout --quiet "$HYPERCOURSE_REF"
                  echo "commit=$(git -C /opt/hypercourse rev-parse HEAD)" >> "$GITHUB_OUTPUT"
              - name: Reuse an earlier build of Hypercourse
                uses: actions/cache@v4
                with:
                  path: /opt/hypercourse/.build
                  key: hypercourse-${{ runner.os }}-swift-6.2-${{ steps.hypercourse.outputs.commit }}
              - name: Build Hypercourse
                run: |
                  swift build -c release --product hypercourse --package-path /opt/hypercourse
                  install -m 0755 /opt/hypercourse/.build/release/hypercourse /usr/local/bin/hypercourse
              - name: Build the course
                run: hypercourse build
              - name: Check every exercise against its record
                run: hypercourse check
              - name: Upload the site
                uses: actions/upload-pages-artifact@v3
                with:
                  path: public

          deploy:
            needs: build
            runs-on: ubuntu-latest
            environment:
              name: github-pages
              url: ${{ steps.deployment.outputs.page_url }}
            steps:
              - name: Publish on GitHub Pages
                id: deployment
                uses: actions/deploy-pages@v4
        """#
}
