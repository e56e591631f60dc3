package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"berth/images"
)

// defaultRegistry is the server login and logout use when none is named.
const defaultRegistry = "docker.io"

// registryCommands are login and logout.
func (a *app) registryCommands() []*cobra.Command {
	return []*cobra.Command{a.loginCommand(), a.logoutCommand()}
}

func (a *app) loginCommand() *cobra.Command {
	var user, password string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry (credentials go to ~/.docker/config.json, as docker login writes them)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := defaultRegistry
			if len(args) == 1 {
				server = args[0]
			}
			if password != "" && passwordStdin {
				return invalid("--password and --password-stdin are mutually exclusive")
			}
			if password != "" {
				fmt.Fprintln(a.stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
			}
			if passwordStdin {
				if user == "" {
					return invalid("must provide --username with --password-stdin")
				}
				b, err := io.ReadAll(a.stdin)
				if err != nil {
					return fmt.Errorf("read password from stdin: %w", err)
				}
				password = strings.TrimRight(string(b), "\r\n")
			}
			var err error
			if user, password, err = a.promptCredentials(server, user, password); err != nil {
				return err
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			if err := e.RegistryLogin(cmd.Context(), server, user, password); err != nil {
				return err
			}
			if err := images.SaveLogin(server, user, password, ""); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, "Login Succeeded")
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&user, "username", "u", "", "username")
	fl.StringVarP(&password, "password", "p", "", "password")
	fl.BoolVar(&passwordStdin, "password-stdin", false, "take the password from stdin")
	return cmd
}

// promptCredentials asks for what the flags did not give, on a terminal only.
func (a *app) promptCredentials(server, user, password string) (string, string, error) {
	if user != "" && password != "" {
		return user, password, nil
	}
	in, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return "", "", invalid("cannot perform an interactive login from a non TTY device: give --username and --password-stdin")
	}
	if user == "" {
		fmt.Fprintf(a.stdout, "Username (%s): ", server)
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil {
			return "", "", fmt.Errorf("read username: %w", err)
		}
		if user = strings.TrimSpace(line); user == "" {
			return "", "", invalid("username is required")
		}
	}
	if password == "" {
		fmt.Fprint(a.stdout, "Password: ")
		b, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(a.stdout)
		if err != nil {
			return "", "", fmt.Errorf("read password: %w", err)
		}
		if password = string(b); password == "" {
			return "", "", invalid("password is required")
		}
	}
	return user, password, nil
}

func (a *app) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry (removes its credentials from ~/.docker/config.json)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := defaultRegistry
			if len(args) == 1 {
				server = args[0]
			}
			err := images.Logout(server, "")
			if errors.Is(err, errdefs.ErrNotFound) {
				fmt.Fprintf(a.stdout, "Not logged in to %s\n", server)
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removing login credentials for %s\n", server)
			return nil
		},
	}
}
