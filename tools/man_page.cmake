# Writes the pix2pix(1) man page from the program's own help (each command's --help, printed
# from its option table), so that the page cannot drift from the program:
#   cmake -DPIX2PIX=build/pix2pix -DOUT=build/pix2pix.1 -P tools/man_page.cmake

# The output of pix2pix ARGN, or a fatal error naming the command.
function(help_of var)
  execute_process(COMMAND ${PIX2PIX} ${ARGN} OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "man_page.cmake: '${PIX2PIX} ${ARGN}' failed (${rc})")
  endif()
  # Verbatim in roff: backslashes doubled, and \& first on every line so that none starts a
  # request ('.' or "'").
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE "\n" "\n\\&" text "${text}")
  set(${var} ".nf\n\\&${text}\n.fi\n" PARENT_SCOPE)
endfunction()

# The names listed under HEADER: in a usage text ("  name  summary" lines).
function(names_under var text header)
  string(REGEX REPLACE ".*${header}:\n" "" list "${text}")
  string(REGEX REPLACE "\n\n.*" "" list "${list}")
  string(REGEX MATCHALL "\\\\&  [a-z]+" names "${list}")
  list(TRANSFORM names REPLACE "\\\\&  " "")
  set(${var} ${names} PARENT_SCOPE)
endfunction()

help_of(top --help)
set(page ".TH PIX2PIX 1 \"\" \"pix2pix-vk\" \"User Commands\"\n")
string(APPEND page ".SH NAME\npix2pix \\- paired image-to-image translation (pix2pix) on Vulkan "
                   "or the CPU\n.SH SYNOPSIS\n.B pix2pix\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n"
                   ".SH DESCRIPTION\n${top}.SH COMMANDS\n")
names_under(commands "${top}" "commands")
foreach(command ${commands})
  help_of(help ${command} --help)
  string(APPEND page ".SS pix2pix ${command}\n${help}")
  if(command STREQUAL "dataset")
    names_under(subs "${help}" "subcommands")
    foreach(sub ${subs})
      help_of(sub_help dataset ${sub} --help)
      string(APPEND page ".SS pix2pix dataset ${sub}\n${sub_help}")
    endforeach()
  endif()
endforeach()
string(APPEND page ".SH SEE ALSO\nThe guide: docs/guide.md in the source tree.\n")
file(WRITE ${OUT} "${page}")
