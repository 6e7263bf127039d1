/** What a new lab starts from: valid as it is, with a comment at each thing an author changes first. */
export const starterTemplate = `apiVersion: labhub.io/v1
kind: Lab
metadata:
  name: my-first-lab            # unique; lower-case letters, digits and "-"
  title: My first lab
  description: One Debian machine with a terminal.
  tags: [linux, beginner]
spec:
  limits: { timeLimit: 1h, idleTimeout: 20m }
  machines:
    - name: shell
      type: container             # or: vm, with disk: { image: tiny }
      image: labhub/shell         # labhub/desktop adds a graphical desktop
      resources: { cpu: 500m, memory: 256Mi }
      access: [terminal]          # terminal, desktop, { http: 8080 }
  instructions:
    - title: Look around
      body: |
        Markdown. Fenced code blocks can be sent to the terminal:

        \`\`\`sh
        whoami
        ls -la
        \`\`\`
    - title: Make a file
      body: Create \`~/hello.txt\` containing the word \`hello\`.
      check: { machine: shell, run: "grep -qw hello /root/hello.txt" }
`;
